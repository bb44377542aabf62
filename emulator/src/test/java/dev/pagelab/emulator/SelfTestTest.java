package dev.pagelab.emulator;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.emulator.selftest.CheckResult;
import dev.pagelab.emulator.selftest.SelfTest;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every self-test check, each as its own test, on the real libunicorn. */
class SelfTestTest {
    @TestFactory
    Stream<DynamicTest> everyCheckPassesOnTheRealEngine() {
        return SelfTest.checks().stream().map(check -> DynamicTest.dynamicTest(check.name(), () -> {
            CheckResult r = check.run();
            assertTrue(r.passed(), r.name() + ": " + r.observed());
        }));
    }
}

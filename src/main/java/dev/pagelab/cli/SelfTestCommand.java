package dev.pagelab.cli;

import dev.pagelab.emulator.Unicorn;
import dev.pagelab.emulator.selftest.CheckResult;
import dev.pagelab.emulator.selftest.SelfTest;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pagelab selftest}: proves the machine's MMU and CPU semantics on the real engine. */
@Command(name = "selftest", mixinStandardHelpOptions = true,
        description = "Run each machine check on the real libunicorn engine and print PASS/FAIL with what was "
                + "observed. Exit status 0 only if every check passes.")
final class SelfTestCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print a JSON array, one object per check.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (!json) {
            out.printf("pagelab selftest on libunicorn %s%n", Unicorn.versionString());
            out.flush();
        }
        List<CheckResult> results = new ArrayList<>();
        for (SelfTest.Check check : SelfTest.checks()) {
            CheckResult r = check.run();
            results.add(r);
            if (!json) {
                printText(out, r);
            }
        }
        long failed = results.stream().filter(r -> !r.passed()).count();
        if (json) {
            out.println(Json.write(results.stream().map(SelfTestCommand::toMap).toList()));
        } else {
            out.printf("%d passed, %d failed%n", results.size() - failed, failed);
        }
        out.flush();
        return failed == 0 ? 0 : 1;
    }

    private static void printText(PrintWriter out, CheckResult r) {
        out.printf("%s  %-24s %s%n", r.passed() ? "PASS" : "FAIL", r.name(), r.description());
        out.printf("      observed: %s%n", r.observed());
        out.flush();
    }

    private static Map<String, Object> toMap(CheckResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", r.name());
        m.put("passed", r.passed());
        m.put("description", r.description());
        m.put("observed", r.observed());
        return m;
    }
}

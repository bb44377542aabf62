package dev.pagelab.cli;

import java.nio.file.Path;

/** Where the checkout lives (set by the launcher and by the build as {@code -Dpagelab.home}). */
final class Home {
    private Home() {}

    static Path root() {
        String home = System.getProperty("pagelab.home");
        return Path.of(home != null ? home : ".").toAbsolutePath().normalize();
    }

    static Path cBench() {
        return root().resolve("emulator/target/native/bench-hw");
    }

    static Path guestBinaries() {
        return root().resolve("guest-programs/target/bin");
    }
}

package dev.pagelab.emulator.selftest;

/** One self-test check's verdict and what was observed on the real engine. */
public record CheckResult(String name, String description, boolean passed, String observed) {}

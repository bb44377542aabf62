package dev.pagelab.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Finds a guest program: a path to a file, else the name of a built guest program. */
final class Programs {
    private Programs() {}

    /** A path if it names a file, else a built guest program; a {@link UserError} (126/127) if neither. */
    static Path resolve(String program) {
        Path asPath = Path.of(program);
        if (Files.isRegularFile(asPath)) {
            return asPath;
        }
        Path guest = Home.guestBinaries().resolve(program);
        if (!program.contains("/") && Files.isRegularFile(guest)) {
            return guest;
        }
        if (Files.isDirectory(asPath)) {
            throw new UserError(program + ": is a directory", 126);
        }
        throw new UserError(program + ": no such file, and no built guest program of that name (have: "
                + String.join(" ", names()) + ")", 127);
    }

    static List<String> names() {
        try (var s = Files.list(Home.guestBinaries())) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of("none built");
        }
    }
}

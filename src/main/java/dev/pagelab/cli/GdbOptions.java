package dev.pagelab.cli;

import dev.pagelab.gdb.GdbStub;
import dev.pagelab.kernel.Kernel;
import java.io.IOException;
import java.io.PrintStream;
import picocli.CommandLine.Option;

/** The {@code --gdb PORT} option, shared by the commands that run a machine. */
final class GdbOptions {
    @Option(names = "--gdb", paramLabel = "PORT", description = "Wait for gdb on 127.0.0.1:PORT (0: any free port, "
            + "printed) and let it debug the program: the machine stops before the first instruction.")
    Integer port;

    void validate(String command) {
        if (port != null && (port < 0 || port > 65535)) {
            throw new UserError(command + ": --gdb needs a port from 0 to 65535, got " + port);
        }
    }

    /** Listens, tells the user where, and waits for gdb; null without --gdb. */
    GdbStub start(String command, Kernel kernel, PrintStream log) {
        if (port == null) {
            return null;
        }
        GdbStub stub;
        try {
            stub = GdbStub.listen(kernel, port, log);
        } catch (IOException e) {
            throw new UserError(command + ": --gdb " + port + ": " + e.getMessage());
        }
        log.println("pagelab: waiting for gdb on 127.0.0.1:" + stub.port() + " (target remote :" + stub.port() + ")");
        try {
            stub.awaitConnection();
        } catch (IOException e) {
            stub.close();
            throw new UserError(command + ": --gdb: " + e.getMessage());
        }
        return stub;
    }
}

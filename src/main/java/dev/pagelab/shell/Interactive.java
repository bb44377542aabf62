package dev.pagelab.shell;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jline.reader.Candidate;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;

/**
 * The interactive shell: a jline 3 line editor with history (kept in a file), tab completion of
 * commands and their arguments, and Ctrl-C that stops a running guest (at an idle prompt it only
 * clears the line; Ctrl-D or quit leaves).
 */
public final class Interactive {
    private Interactive() {}

    /** Reads and runs commands from {@code terminal} until quit or Ctrl-D; returns the exit status. */
    public static int run(Shell shell, Terminal terminal, Path historyFile) {
        LineReader reader = LineReaderBuilder.builder().terminal(terminal).appName("pagelab")
                .completer((r, line, candidates) -> {
                    List<String> words = line.words();
                    for (String s : shell.complete(words, line.wordIndex())) {
                        candidates.add(new Candidate(s, s, null, null, null, null, !s.endsWith("/")));
                    }
                })
                .variable(LineReader.HISTORY_FILE, historyFile)
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                .build();
        // While a command runs the machine, Ctrl-C stops the guest; readLine installs its own handler.
        terminal.handle(Terminal.Signal.INT, signal -> shell.interrupt());
        while (!shell.quitting()) {
            String line;
            try {
                line = reader.readLine("(pagelab) ");
            } catch (UserInterruptException e) {
                continue; // Ctrl-C at the prompt: a fresh line, the session goes on
            } catch (EndOfFileException e) {
                break;
            }
            shell.execute(line);
            terminal.writer().flush();
        }
        try {
            reader.getHistory().save();
        } catch (IOException e) {
            terminal.writer().println("pagelab: cannot save history to " + historyFile + ": " + e.getMessage());
        }
        shell.close();
        terminal.writer().flush();
        return 0;
    }
}

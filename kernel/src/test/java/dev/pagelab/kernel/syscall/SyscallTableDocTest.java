package dev.pagelab.kernel.syscall;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/syscalls.md lists exactly the numbers and names the dispatch knows. */
class SyscallTableDocTest {
    @Test
    void theDocumentedTableIsTheDispatchTable() throws IOException {
        Map<Integer, String> code = new TreeMap<>(ProgramCalls.names());
        for (int nr = 0; nr < 1024; nr++) {
            String name = Syscalls.name(nr);
            if (name != null) {
                code.put(nr, name);
            }
        }
        Map<Integer, String> doc = new TreeMap<>();
        Matcher m = Pattern.compile("(?m)^\\| (\\d+) \\| (\\w+) \\|").matcher(Files.readString(Path.of("../docs/syscalls.md")));
        while (m.find()) {
            doc.put(Integer.parseInt(m.group(1)), m.group(2));
        }
        assertEquals(code, doc);
    }
}

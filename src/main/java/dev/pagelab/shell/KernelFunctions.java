package dev.pagelab.shell;

import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.sched.SchedPoint;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The kernel's functions by their Linux names (camelCase {@code clearPageDirtyForIo} is
 * {@code clear_page_dirty_for_io}): the catalogue that {@code break kernel} checks and completes,
 * and stack walks that find which kernel function the running task is in. The scheduler's own
 * frames ({@code dev.pagelab.kernel.sched}) and the shell's are not kernel functions here.
 */
final class KernelFunctions {
    private static final String KERNEL = "dev.pagelab.kernel.";
    private static final String SCHED = "dev.pagelab.kernel.sched.";
    private static final StackWalker WALKER = StackWalker.getInstance();
    private static Map<String, String> catalogue; // Linux name -> Java name; guarded by the class lock

    private KernelFunctions() {}

    /** {@code clearPageDirtyForIo} -> {@code clear_page_dirty_for_io}. */
    static String linuxName(String javaName) {
        StringBuilder s = new StringBuilder();
        for (char c : javaName.toCharArray()) {
            if (Character.isUpperCase(c)) {
                s.append('_').append(Character.toLowerCase(c));
            } else {
                s.append(c);
            }
        }
        return s.toString();
    }

    private static boolean kernelFrame(String className, String method) {
        return className.startsWith(KERNEL) && !className.startsWith(SCHED) && !method.startsWith("lambda$")
                && !method.equals("run") && !method.startsWith("<");
    }

    /** The innermost kernel function on the calling thread's stack (Linux name), or null. */
    static String innermost() {
        return WALKER.walk(frames -> frames.filter(f -> kernelFrame(f.getClassName(), f.getMethodName()))
                .map(f -> linuxName(f.getMethodName())).findFirst().orElse(null));
    }

    /**
     * The depth from the bottom of the calling thread's stack of the innermost frame of the kernel
     * function {@code javaName}, or -1 if the thread is not inside it.
     */
    static int depthOf(String javaName) {
        List<String> methods = WALKER.walk(frames -> frames.map(f ->
                kernelFrame(f.getClassName(), f.getMethodName()) ? f.getMethodName() : "").toList());
        for (int i = 0; i < methods.size(); i++) {
            if (methods.get(i).equals(javaName)) {
                return methods.size() - i;
            }
        }
        return -1;
    }

    /** The Java name of the kernel function called {@code linuxName}, or null if there is none. */
    static String javaName(String linuxName) {
        return all().get(linuxName);
    }

    /** Every kernel function's Linux name, sorted. */
    static List<String> names() {
        return List.copyOf(all().keySet());
    }

    private static synchronized Map<String, String> all() {
        if (catalogue == null) {
            Map<String, String> m = new TreeMap<>();
            for (String cls : kernelClasses()) {
                addMethods(m, cls);
            }
            catalogue = Collections.unmodifiableMap(m);
        }
        return catalogue;
    }

    private static void addMethods(Map<String, String> m, String cls) {
        try {
            for (Method method : Class.forName(cls, false, Kernel.class.getClassLoader()).getDeclaredMethods()) {
                if (!method.isSynthetic() && kernelFrame(cls, method.getName())) {
                    m.putIfAbsent(linuxName(method.getName()), method.getName());
                }
            }
        } catch (ClassNotFoundException | LinkageError e) {
            // a class that cannot be loaded has no functions to offer
        }
    }

    /** The kernel's class names outside the scheduler package, from its jar or classes folder. */
    private static List<String> kernelClasses() {
        List<String> names = new ArrayList<>();
        try {
            Path where = Path.of(Kernel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(where)) {
                try (Stream<Path> s = Files.walk(where)) {
                    s.map(p -> where.relativize(p).toString().replace('/', '.')).forEach(n -> addClass(names, n));
                }
            } else {
                try (JarFile jar = new JarFile(where.toFile())) {
                    jar.stream().forEach(e -> addClass(names, e.getName().replace('/', '.')));
                }
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            // no catalogue: break kernel then only knows scheduling point kinds
        }
        return names;
    }

    private static void addClass(List<String> names, String entry) {
        if (entry.startsWith(KERNEL) && !entry.startsWith(SCHED) && entry.endsWith(".class")
                && !entry.contains("package-info")) {
            names.add(entry.substring(0, entry.length() - ".class".length()));
        }
    }

    /** {@code PAGE_FLAG} for "page_flag", case-insensitive, or null. */
    static SchedPoint point(String word) {
        for (SchedPoint p : SchedPoint.values()) {
            if (p.name().equalsIgnoreCase(word)) {
                return p;
            }
        }
        return null;
    }

    /** The scheduling point kinds in lower case. */
    static List<String> pointNames() {
        return Stream.of(SchedPoint.values()).map(p -> p.name().toLowerCase(Locale.ROOT))
                .toList();
    }
}

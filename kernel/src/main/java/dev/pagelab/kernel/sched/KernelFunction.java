package dev.pagelab.kernel.sched;

import java.util.Locale;

/**
 * Names the kernel function that reached a scheduling point, in Linux's spelling: the innermost
 * caller outside this package and outside the lock and page-table helpers, its Java name turned
 * back into snake_case ({@code clearPageDirtyForIo} -> {@code clear_page_dirty_for_io}). A stack
 * walk each time: for reports and breakpoints, not for every point of an exploration.
 */
public final class KernelFunction {
    private static final StackWalker WALKER = StackWalker.getInstance();

    private KernelFunction() {}

    /** The Linux name of the innermost interesting kernel method on the current stack. */
    public static String caller() {
        return WALKER.walk(frames -> frames
                .filter(f -> f.getClassName().startsWith("dev.pagelab.kernel."))
                .filter(f -> !isHelper(f.getClassName(), f.getMethodName()))
                .findFirst()
                .map(f -> snake(f.getMethodName()))
                .orElse("?"));
    }

    private static boolean isHelper(String cls, String method) {
        return cls.startsWith("dev.pagelab.kernel.sched.")
                || cls.endsWith(".PageTables") || cls.endsWith(".PageLock") || cls.endsWith(".Buffers")
                || method.startsWith("lambda$") || method.equals("lock") || method.equals("unlock");
    }

    /** clearPageDirtyForIo -> clear_page_dirty_for_io; doWpPageAndUnlock -> do_wp_page. */
    static String snake(String camel) {
        String base = camel.endsWith("AndUnlock") ? camel.substring(0, camel.length() - "AndUnlock".length()) : camel;
        if (base.endsWith("Locked") && base.length() > 6) {
            base = base.substring(0, base.length() - 6);
        }
        StringBuilder b = new StringBuilder();
        for (char c : base.toCharArray()) {
            if (Character.isUpperCase(c)) {
                b.append('_').append(Character.toLowerCase(c));
            } else {
                b.append(c);
            }
        }
        return b.toString().toLowerCase(Locale.ROOT);
    }
}

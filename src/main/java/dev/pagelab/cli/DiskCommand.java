package dev.pagelab.cli;

import dev.pagelab.kernel.fs.disk.DiskFormatException;
import dev.pagelab.kernel.fs.disk.FsCorruptException;
import dev.pagelab.kernel.fs.disk.FsException;
import dev.pagelab.kernel.fs.disk.PagelabFs;
import dev.pagelab.kernel.fs.disk.VirtualDisk;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pagelab disk}: make, inspect and check pfs disk images. Commands that only read (ls, cat,
 * export, fsck) open the image read-only and never mount it read-write; a corrupt or truncated
 * image is one line on stderr (exit 2) and is never modified.
 */
@Command(name = "disk", mixinStandardHelpOptions = true,
        description = "Make, inspect and check pagelab disk images (the pfs filesystem, 1 KiB blocks).",
        subcommands = {DiskCommand.Mkfs.class, DiskCommand.Ls.class, DiskCommand.Cat.class, DiskCommand.Import.class,
            DiskCommand.Export.class, DiskCommand.Fsck.class})
final class DiskCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** What every subcommand shares: its IMAGE, and I/O failures turned into one line. */
    abstract static class ImageCommand implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "IMAGE", description = "The disk image file.")
        Path image;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        abstract Integer run() throws IOException;

        @Override
        public final Integer call() {
            try {
                return run();
            } catch (UncheckedIOException e) {
                throw fail(describe(e.getCause()));
            } catch (IOException e) {
                throw fail(describe(e));
            }
        }

        /** "disk ls: IMAGE: message" as a UserError (exit 2). */
        UserError fail(String message) {
            return new UserError(prefix() + message);
        }

        String prefix() {
            return "disk " + spec.name() + ": " + image + ": ";
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        VirtualDisk openReadOnly() {
            try {
                return VirtualDisk.openReadOnly(image);
            } catch (DiskFormatException e) {
                throw fail(e.getMessage());
            } catch (IOException e) {
                throw fail(describe(e));
            }
        }

        VirtualDisk openReadWrite() {
            try {
                return VirtualDisk.open(image);
            } catch (DiskFormatException e) {
                throw fail(e.getMessage());
            } catch (IOException e) {
                throw fail(describe(e));
            }
        }

        PagelabFs mountReadOnly(VirtualDisk disk) {
            try {
                return PagelabFs.mountReadOnly(disk);
            } catch (FsCorruptException e) {
                throw fail(e.getMessage());
            }
        }

        PagelabFs mountReadWrite(VirtualDisk disk) {
            try {
                return PagelabFs.mount(disk);
            } catch (FsCorruptException e) {
                throw fail(e.getMessage());
            }
        }

        /** The ino of {@code name}, or a UserError. */
        int lookup(PagelabFs fs, String name) {
            int ino = fs.lookup(name);
            if (ino < 0) {
                throw fail("no file \"" + name + "\"");
            }
            return ino;
        }
    }

    /** One line for a host I/O failure: "no such file", "permission denied", or the JDK's text. */
    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    @Command(name = "mkfs", mixinStandardHelpOptions = true,
            description = "Create IMAGE and format it as an empty pfs filesystem.")
    static final class Mkfs extends ImageCommand {
        @Option(names = "--blocks", defaultValue = "16384", paramLabel = "N",
                description = "Size in 1 KiB blocks. Default: ${DEFAULT-VALUE} (16 MiB).")
        long blocks;

        @Option(names = "--inodes", defaultValue = "" + PagelabFs.DEFAULT_INODES, paramLabel = "N",
                description = "Inode slots (2 are reserved: ino 0 and the root directory). Default: ${DEFAULT-VALUE}.")
        int inodes;

        @Option(names = "--force", description = "Overwrite IMAGE if it exists.")
        boolean force;

        @Override
        Integer run() throws IOException {
            String problem = PagelabFs.geometryProblem(blocks, inodes);
            if (problem != null) {
                throw new UserError("disk mkfs: " + problem);
            }
            if (Files.isDirectory(image)) {
                throw fail("is a directory");
            }
            if (Files.exists(image, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !force) {
                throw fail("exists (use --force to overwrite it)");
            }
            long free;
            try (VirtualDisk disk = VirtualDisk.create(image, blocks)) {
                PagelabFs.mkfs(disk, inodes);
                PagelabFs fs = mountReadOnly(disk);
                free = fs.freeBlocks();
                fs.unmount();
            }
            out().printf("%s: pagelab filesystem, %d blocks of 1 KiB, %d inodes, %d blocks free%n", image, blocks,
                    inodes, free);
            out().flush();
            return 0;
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true,
            description = "List the files in IMAGE, the whole tree (directories end in /): path, size in bytes, inode number.")
    static final class Ls extends ImageCommand {
        @Override
        Integer run() {
            List<PagelabFs.DirEntry> entries;
            try (VirtualDisk disk = openReadOnly()) {
                PagelabFs fs = mountReadOnly(disk);
                entries = tree(fs).stream().sorted(Comparator.comparing(PagelabFs.DirEntry::name)).toList();
                fs.unmount();
            }
            int width = Math.max(4, entries.stream().mapToInt(e -> e.name().length()).max().orElse(0));
            PrintWriter out = out();
            out.printf("%-" + width + "s  %10s  %5s%n", "NAME", "SIZE", "INO");
            for (PagelabFs.DirEntry e : entries) {
                out.printf("%-" + width + "s  %10d  %5d%n", e.name(), e.size(), e.ino());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "cat", mixinStandardHelpOptions = true, description = "Write FILE's bytes from IMAGE to stdout.")
    static final class Cat extends ImageCommand {
        @Parameters(index = "1", paramLabel = "FILE", description = "A file in the image.")
        String name;

        @Override
        Integer run() {
            byte[] data;
            try (VirtualDisk disk = openReadOnly()) {
                PagelabFs fs = mountReadOnly(disk);
                data = fs.readFile(lookup(fs, name));
                fs.unmount();
            }
            out().flush();
            System.out.write(data, 0, data.length);
            System.out.flush();
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Copy HOSTFILE into IMAGE as NAME (default: HOSTFILE's name), replacing any file of "
                    + "that name.")
    static final class Import extends ImageCommand {
        @Parameters(index = "1", paramLabel = "HOSTFILE", description = "The file to copy in.")
        Path host;

        @Parameters(index = "2", paramLabel = "NAME", arity = "0..1", description = "Its name in the image.")
        String name;

        @Override
        Integer run() {
            byte[] data = readHost();
            String as = name != null ? name : host.getFileName().toString();
            try (VirtualDisk disk = openReadWrite()) {
                PagelabFs fs = mountReadWrite(disk);
                try {
                    store(fs, as, data);
                } finally {
                    fs.unmount();
                }
            }
            out().printf("%s: %d bytes written to %s%n", as, data.length, image);
            out().flush();
            return 0;
        }

        private byte[] readHost() {
            try {
                if (Files.size(host) > PagelabFs.MAX_FILE_SIZE) {
                    throw new UserError("disk import: " + host + ": larger than a pfs file can be ("
                            + PagelabFs.MAX_FILE_SIZE + " bytes)");
                }
                return Files.readAllBytes(host);
            } catch (IOException e) {
                throw new UserError("disk import: " + host + ": " + describe(e));
            }
        }

        /** Creates or replaces {@code as}; a file created here is removed again if the data does not fit. */
        private void store(PagelabFs fs, String as, byte[] data) {
            int ino = fs.lookup(as);
            boolean created = ino < 0;
            try {
                if (created) {
                    ino = fs.create(as);
                }
                fs.writeFile(ino, data);
            } catch (FsException e) {
                if (created && fs.lookup(as) >= 0) {
                    try {
                        fs.unlink(as);
                    } catch (FsException again) {
                        throw new IllegalStateException("disk import: unlink of the file just created: " + again);
                    }
                }
                throw fail("\"" + as + "\": " + e.getMessage());
            }
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true, description = "Copy NAME out of IMAGE to HOSTFILE.")
    static final class Export extends ImageCommand {
        @Parameters(index = "1", paramLabel = "NAME", description = "A file in the image.")
        String name;

        @Parameters(index = "2", paramLabel = "HOSTFILE", description = "Where to write it (replaced if it exists).")
        Path host;

        @Override
        Integer run() {
            byte[] data;
            try (VirtualDisk disk = openReadOnly()) {
                PagelabFs fs = mountReadOnly(disk);
                data = fs.readFile(lookup(fs, name));
                fs.unmount();
            }
            try {
                Files.write(host, data);
            } catch (IOException e) {
                throw new UserError("disk export: " + host + ": " + describe(e));
            }
            out().printf("%s: %d bytes written to %s%n", name, data.length, host);
            out().flush();
            return 0;
        }
    }

    @Command(name = "fsck", mixinStandardHelpOptions = true,
            description = "Check every invariant of IMAGE without changing it. Exit status 0 if clean, 1 if errors.")
    static final class Fsck extends ImageCommand {
        @Override
        Integer run() {
            try (VirtualDisk disk = openReadOnly()) {
                PagelabFs.FsckReport r = PagelabFs.fsck(disk);
                PrintWriter out = out();
                r.notes().forEach(n -> out.printf("%s: note: %s%n", image, n));
                r.errors().forEach(e -> out.printf("%s: error: %s%n", image, e));
                out.flush();
                if (!r.clean()) {
                    throw new UserError(prefix() + (r.errors().size() == 1 ? r.errors().get(0)
                            : r.errors().size() + " errors, the first: " + r.errors().get(0)), 1);
                }
                PagelabFs fs = mountReadOnly(disk);
                out.printf("%s: clean (%d files, %d blocks used of %d)%n", image,
                        tree(fs).stream().filter(e -> !e.directory()).count(),
                        fs.totalBlocks() - fs.freeBlocks(), fs.totalBlocks());
                fs.unmount();
                out.flush();
            }
            return 0;
        }
    }

    /** Every entry of the image's directory tree, named by its path ("a/b/" for a directory). */
    static List<PagelabFs.DirEntry> tree(PagelabFs fs) {
        List<PagelabFs.DirEntry> out = new java.util.ArrayList<>();
        java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>(List.of(""));
        while (!todo.isEmpty()) {
            String dir = todo.poll();
            for (PagelabFs.DirEntry e : fs.list(dir)) {
                String path = dir.isEmpty() ? e.name() : dir + "/" + e.name();
                out.add(new PagelabFs.DirEntry(e.directory() ? path + "/" : path, e.ino(), e.size(), e.directory()));
                if (e.directory()) {
                    todo.add(path);
                }
            }
        }
        return out;
    }
}

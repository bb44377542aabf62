package dev.pagelab.kernel;

import dev.pagelab.kernel.mm.FaultResult;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;

/** What a run did, for {@code pagelab run --stats}. */
public record Stats(long instructions, Map<FaultResult.Kind, Long> faults, SortedMap<String, Long> syscalls,
                    SortedSet<Long> unknownSyscalls, long framesPeak, long framesInUseAtExit, long taskSwitches,
                    long virtualNanos, long pagesReclaimed, long reclaimWrites) {
    /** Without reclaim figures. */
    public Stats(long instructions, Map<FaultResult.Kind, Long> faults, SortedMap<String, Long> syscalls,
                 SortedSet<Long> unknownSyscalls, long framesPeak, long framesInUseAtExit, long taskSwitches,
                 long virtualNanos) {
        this(instructions, faults, syscalls, unknownSyscalls, framesPeak, framesInUseAtExit, taskSwitches, virtualNanos,
                0, 0);
    }

    public long totalFaults() {
        return faults.values().stream().mapToLong(Long::longValue).sum();
    }
}

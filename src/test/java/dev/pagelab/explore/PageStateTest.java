package dev.pagelab.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.pagelab.explore.PageProbe.PageState;
import dev.pagelab.explore.PageProbe.PteBits;
import dev.pagelab.explore.PageProbe.Victim;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the victim page's changes are worded in the story (the probe itself: ExplainCliTest). */
class PageStateTest {
    private static PageState state(boolean dirty, boolean tagDirty, List<PteBits> ptes, String buffers) {
        return new PageState(true, 0x18, dirty, false, false, tagDirty, false, ptes, buffers);
    }

    private static final PteBits WRITABLE_DIRTY = new PteBits("race3msync pid 1", true, false, true, true);
    private static final PteBits CLEAN = new PteBits("race3msync pid 1", true, false, false, false);

    @Test
    void onlyWhatChangedIsTold() {
        PageState before = state(true, true, List.of(WRITABLE_DIRTY), "DDDD");
        assertEquals("", before.changesFrom(before));
        assertEquals("PG_dirty cleared; pte(race3msync pid 1) P RW D -> P -- -",
                state(false, true, List.of(CLEAN), "DDDD").changesFrom(before), "tag DIRTY kept: not told");
        assertEquals("bh DDDD -> -D--", state(true, true, List.of(WRITABLE_DIRTY), "-D--").changesFrom(before));
    }

    @Test
    void mappingsComeAndGoAndThePageLeavesTheCache() {
        PageState mapped = state(true, true, List.of(WRITABLE_DIRTY), "DDDD");
        PageState unmapped = state(true, true, List.of(), "DDDD");
        assertEquals("pte(race3msync pid 1) P RW D -> unmapped", unmapped.changesFrom(mapped));
        assertEquals("pte(race3msync pid 1) unmapped -> P RW D", mapped.changesFrom(unmapped));
        assertEquals("dropped from the page cache", PageState.ABSENT.changesFrom(mapped));
        assertEquals("cached: frame 0x18 [PG_dirty] tags [DIRTY]; pte(race3msync pid 1) P RW D; bh DDDD",
                mapped.changesFrom(PageState.ABSENT));
        assertEquals("none", new PteBits("x", false, false, false, false).bits());
        assertEquals("other", new PteBits("x", true, true, true, true).bits());
        assertEquals(4, mapped.dirtyBuffers());
    }

    @Test
    void aPageIsFileColonIndex() {
        assertEquals(new Victim("r.dat", 1), Victim.parse("r.dat:1"));
        assertEquals(new Victim("a:b", 0), Victim.parse("a:b:0"));
        assertNull(Victim.parse("r.dat"));
        assertNull(Victim.parse("r.dat:-1"));
        assertNull(Victim.parse(":3"));
        assertEquals("page 1 of r.dat", new Victim("r.dat", 1).toString());
    }
}

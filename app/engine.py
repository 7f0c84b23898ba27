"""The index a service answers from: loaded once, swapped on reload while requests in flight finish on the
old one, and followed when a sibling worker announces a reload through the SERVING pointer."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.build import SERVING, read_pointer, write_pointer
from index.errors import IndexNotWritable
from index.store import IndexStore
from retriever.hybrid import Retriever

log = logging.getLogger("policy_qa.service")


@dataclass(frozen=True)
class Engine:
    store: IndexStore
    retriever: Retriever


class IndexHolder:
    def __init__(self, index_dir: Path, load: Callable[[Path | None], Engine]) -> None:
        """`load(build)` opens the given build, or the current one for None."""
        self.index_dir = index_dir
        self._load = load
        self._reload_lock = threading.Lock()
        # Only announcements made after this point are followed: an older one may name an older build.
        self._seen_announcement = self._announcement()
        self.engine = load(None)

    def reload(self) -> IndexStore:
        """Swap in the current index on disk; requests already running finish on the old one.
        A damaged new index raises and the old one keeps serving. The other workers of this server
        are told through the SERVING pointer and follow within `reload_poll_s`."""
        with self._reload_lock:
            engine = self._load(None)
            # Announce before swapping: if the folder cannot be written, this worker must not move on alone
            # and leave its siblings serving the old build.
            try:
                write_pointer(self.index_dir, SERVING, engine.store.path.name)
            except OSError as exc:
                raise IndexNotWritable(
                    f"cannot tell the other workers about the reload: the index folder is not writable "
                    f"({exc.strerror or type(exc).__name__}); the old index keeps serving") from exc
            self.engine = engine
            self._seen_announcement = self._announcement()
            return engine.store

    def _announcement(self) -> tuple[int, int] | None:
        try:
            stat = (self.index_dir / SERVING).stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_ino

    def follow_reload(self) -> bool:
        """Serve the build another worker reloaded onto, if it announced one since we last looked.
        A stat when nothing changed; True if the index was swapped."""
        announcement = self._announcement()
        if announcement is None or announcement == self._seen_announcement:
            return False
        with self._reload_lock:
            self._seen_announcement = announcement  # a build we fail to load is not retried every poll
            build = read_pointer(self.index_dir, SERVING)
            if build is None or build == self.engine.store.path:
                return False
            self.engine = self._load(build)
            log.info("reloaded onto %s, announced by another worker", build.name)
            return True

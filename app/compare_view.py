"""Side by side: two passages with the sentences that mean the same thing joined across.

The alignment (index.compare.align) runs in a worker through the library service; the view keeps its
score matrix, so the threshold slider and "swap" re-match on the GUI thread without embedding.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from operator import attrgetter

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app.compare_ops import (
    Comparison,
    JobLike,
    LibraryRunner,
    PassageInContext,
    compare_passages,
    passage_in_context,
)
from app.compare_widgets import ConnectorBand, Legend, Link, Mark, SentencePane, pair_colour
from app.side_by_side import SideBySideView
from index.compare.align import DEFAULT_THRESHOLD, AlignedPair, Alignment
from index.search.results import Passage

# The slider runs in hundredths over the range where the choice matters for MiniLM-like models:
# below 0.2 nearly every sentence pairs with something, above 0.95 only near-copies do.
SLIDER_MIN, SLIDER_MAX = 20, 95
THRESHOLD_STEP = 5  # hundredths a key moves the threshold by
STRICTER_KEYS, LOOSER_KEYS = "Ctrl+]", "Ctrl+["

LEFT_INDEX: Callable[[AlignedPair], int] = attrgetter("left_index")
RIGHT_INDEX: Callable[[AlignedPair], int] = attrgetter("right_index")


class Side(Enum):
    LEFT = "left"
    RIGHT = "right"


class CompareView(SideBySideView):
    """Two passages side by side, matched sentences in one colour on both sides and joined by
    a band; sentences with no counterpart tinted and underlined with dots as "only in this story".

    Keys: F3 / Shift+F3 next / previous pair, Esc close (app/side_by_side.py).

    Drop a passage on either side (MIME type application/x-storylens-passage-id, the passage
    id as ASCII text) to compare it with the other side.

    Signals (and those of SideBySideView: closed, passage_requested, failed):
        aligned(): a new alignment is on screen (after compare(), a drop, or swap()).
    """

    aligned = Signal()

    def __init__(self, service: LibraryRunner, parent: QWidget | None = None) -> None:
        super().__init__(service, parent)
        self._comparison: Comparison | None = None
        self._current: int | None = None  # index into pairs of the pair being looked at
        self._build_ui()

    # -- state --------------------------------------------------------------------------------

    @property
    def alignment(self) -> Alignment | None:
        return self._comparison.alignment if self._comparison else None

    @property
    def pairs(self) -> tuple[AlignedPair, ...]:
        """The pairs shown at the current threshold, in left order."""
        return self.alignment.pairs if self.alignment else ()

    @property
    def threshold(self) -> float:
        return self.slider.value() / 100

    @property
    def current_pair(self) -> int | None:
        return self._current

    # -- actions ------------------------------------------------------------------------------

    def compare(self, left_id: int, right_id: int) -> None:
        """Align two passages (by id) in a worker; `aligned` is emitted when they are shown."""
        threshold = self.threshold

        def op(job: JobLike) -> Comparison:
            return compare_passages(job.library, left_id, right_id, threshold)

        self.submit(op, self._arrived, "Aligning sentences…")

    def set_passages(self, left: Passage, right: Passage) -> None:
        """compare() for passages already at hand (their context is fetched in the worker)."""
        self.compare(left.id, right.id)

    def set_side(self, side: Side, passage_id: int) -> None:
        """Put a passage on one side (a drop): compared with the other side's passage, or shown
        alone until the other side has one."""
        ids = {s: pane.content.passage.id if pane.content else None for s, pane in self._panes()}
        ids[side] = passage_id
        left, right = ids[Side.LEFT], ids[Side.RIGHT]
        if left is not None and right is not None:
            self.compare(left, right)
            return
        pane = self._pane(side)

        def op(job: JobLike) -> PassageInContext:
            return passage_in_context(job.library, job.library.passage(passage_id))

        def arrived(content: PassageInContext) -> None:
            pane.show_passage(content)
            self.status.setText("Drop a passage on the other side to compare the two.")

        self.submit(op, arrived, "")

    def set_threshold(self, threshold: float) -> None:
        self.slider.setValue(round(threshold * 100))

    def swap(self) -> None:
        if self._comparison is None:
            return
        c = self._comparison
        self._show(Comparison(c.right, c.left, c.alignment.swapped()))
        self.aligned.emit()

    def next_pair(self) -> None:
        self._step(+1)

    def previous_pair(self) -> None:
        self._step(-1)

    def highlighted_pairs(self) -> list[tuple[str, str]]:
        """For each pair, in left order, the two sentences as shown, if the panes paint both in
        one solid colour: what a reader sees as matched (read back from the panes' highlights)."""
        alignment = self.alignment
        if alignment is None:
            return []
        shown = []
        for pair in alignment.pairs:
            left = alignment.left_sentences[pair.left_index]
            right = alignment.right_sentences[pair.right_index]
            left_brush = _solid_at(self.left_pane, left.start, left.end)
            right_brush = _solid_at(self.right_pane, right.start, right.end)
            if left_brush is not None and left_brush == right_brush:
                shown.append(
                    (
                        self.left_pane.shown_text(left.start, left.end),
                        self.right_pane.shown_text(right.start, right.end),
                    )
                )
        return shown

    def export_name(self) -> str:
        return "storylens-comparison.html"

    def export_document(self, fmt: str) -> str:
        """The two passages as compared on screen (at the slider's threshold) as a file
        (index/cli/export.py); "" before a comparison is shown."""
        from index.cli.export import comparison_document

        alignment = self.alignment
        return "" if alignment is None else comparison_document(alignment, fmt)  # type: ignore[arg-type]

    def only_texts(self, side: Side) -> list[str]:
        """The sentences marked "only in this story" on one side."""
        pane = self._pane(side)
        return [pane.shown_text(start, end) for start, end in pane.only_spans()]

    def _panes(self) -> tuple[tuple[Side, SentencePane], ...]:
        return ((Side.LEFT, self.left_pane), (Side.RIGHT, self.right_pane))

    def _pane(self, side: Side) -> SentencePane:
        return self.left_pane if side is Side.LEFT else self.right_pane

    # -- building the window ------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.similarity = QLabel()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(SLIDER_MIN, SLIDER_MAX)
        self.slider.setValue(round(DEFAULT_THRESHOLD * 100))
        self.slider.setToolTip("How alike two sentences must be to be joined")
        self.slider.valueChanged.connect(self._threshold_moved)
        self.threshold_label = QLabel()
        self.pair_label = QLabel()
        self.previous_button = QPushButton("◀ Previous pair")
        self.next_button = QPushButton("Next pair ▶")
        self.swap_button = QPushButton("Swap sides")
        self.export_button = QPushButton("E&xport…")
        self.export_button.clicked.connect(self.export_requested.emit)
        self.close_button = QPushButton("Close")
        self.previous_button.setToolTip("Shift+F3")
        self.next_button.setToolTip("F3")
        self.close_button.setToolTip("Esc")
        self.previous_button.clicked.connect(self.previous_pair)
        self.next_button.clicked.connect(self.next_pair)
        self.swap_button.clicked.connect(self.swap)
        self.close_button.clicked.connect(self.closed)

        bar = QHBoxLayout()
        bar.addWidget(self.similarity)
        bar.addSpacing(16)
        bar.addWidget(QLabel("Match threshold"))
        bar.addWidget(self.slider, 1)
        bar.addWidget(self.threshold_label)
        bar.addSpacing(16)
        for widget in (
            self.pair_label,
            self.previous_button,
            self.next_button,
            self.swap_button,
            self.export_button,
            self.close_button,
        ):
            bar.addWidget(widget)

        self.left_pane, self.right_pane = SentencePane(), SentencePane()
        self.band = ConnectorBand(self.left_pane, self.right_pane, self._links)
        panes = QHBoxLayout()
        panes.setSpacing(0)
        panes.addWidget(self.left_pane, 1)
        panes.addWidget(self.band)
        panes.addWidget(self.right_pane, 1)
        for side, pane in self._panes():
            pane.passage_dropped.connect(lambda pid, s=side: self.set_side(s, pid))
            pane.open_requested.connect(self.passage_requested)

        self.status = QLabel("Drop a passage on each side, or choose Compare on a result.")
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(panes, 1)
        layout.addWidget(Legend())
        layout.addWidget(self.status)

        self.add_keys(
            [
                (QKeySequence(Qt.Key.Key_F3), self.next_pair),
                (QKeySequence(Qt.Modifier.SHIFT | Qt.Key.Key_F3), self.previous_pair),
                (QKeySequence(STRICTER_KEYS), lambda: self._nudge_threshold(THRESHOLD_STEP)),
                (QKeySequence(LOOSER_KEYS), lambda: self._nudge_threshold(-THRESHOLD_STEP)),
            ]
        )
        self._update_controls()

    def _nudge_threshold(self, hundredths: int) -> None:
        self.slider.setValue(self.slider.value() + hundredths)  # the slider keeps its range

    def changeEvent(self, event: QEvent) -> None:
        """A theme switch: colours are picked for the palette, so pick them again."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._comparison is not None:
            self._show(self._comparison)

    # -- results ------------------------------------------------------------------------------

    def _arrived(self, comparison: Comparison) -> None:
        if comparison.alignment.threshold != self.threshold:  # the slider moved meanwhile
            alignment = comparison.alignment.with_threshold(self.threshold)
            comparison = Comparison(comparison.left, comparison.right, alignment)
        self._show(comparison)
        self.aligned.emit()

    def _show(self, comparison: Comparison) -> None:
        self._comparison = comparison
        self.left_pane.show_passage(comparison.left)
        self.right_pane.show_passage(comparison.right)
        self._current = 0 if comparison.alignment.pairs else None
        self._mark()
        self._scroll_to_current()

    def _threshold_moved(self, _value: int) -> None:
        self.threshold_label.setText(f"{self.threshold:.2f}")
        if self._comparison is not None:
            c = self._comparison
            self._comparison = Comparison(
                c.left, c.right, c.alignment.with_threshold(self.threshold)
            )
            pairs = self._comparison.alignment.pairs
            self._current = min(self._current or 0, len(pairs) - 1) if pairs else None
            self._mark()
        self._update_controls()

    def _step(self, delta: int) -> None:
        count = len(self.pairs)
        if not count:
            return
        self._current = ((self._current if self._current is not None else -delta) + delta) % count
        self._mark()
        self._scroll_to_current()

    def _mark(self) -> None:
        alignment = self.alignment
        if alignment is None:
            return
        for pane, sentences, only, index_of in (
            (self.left_pane, alignment.left_sentences, alignment.left_only, LEFT_INDEX),
            (self.right_pane, alignment.right_sentences, alignment.right_only, RIGHT_INDEX),
        ):
            others = (
                alignment.right_sentences if pane is self.left_pane else alignment.left_sentences
            )
            other_of = RIGHT_INDEX if pane is self.left_pane else LEFT_INDEX
            marks = [
                Mark(
                    sentences[index_of(pair)].start,
                    sentences[index_of(pair)].end,
                    pair_colour(pair.left_index, self.palette(), strong=n == self._current),
                    current=n == self._current,
                    tip=f"Similarity {pair.score:.2f} with “{others[other_of(pair)].text}”",
                )
                for n, pair in enumerate(alignment.pairs)
            ]
            nothing = (
                f"Only in this story: no sentence of the other passage reaches "
                f"{alignment.threshold:.2f}"
            )
            marks += [Mark(sentences[i].start, sentences[i].end, None, tip=nothing) for i in only]
            pane.set_marks(marks)
        self._update_controls()
        self.band.update()

    def _links(self) -> list[Link]:
        alignment = self.alignment
        if alignment is None:
            return []
        links = []
        for n, pair in enumerate(alignment.pairs):
            left = alignment.left_sentences[pair.left_index]
            right = alignment.right_sentences[pair.right_index]
            current = n == self._current
            colour = pair_colour(pair.left_index, self.palette(), strong=current)
            links.append(Link((left.start, left.end), (right.start, right.end), colour, current))
        return links

    def _scroll_to_current(self) -> None:
        alignment = self.alignment
        if alignment is None or self._current is None:
            return
        pair = alignment.pairs[self._current]
        left = alignment.left_sentences[pair.left_index]
        right = alignment.right_sentences[pair.right_index]
        self.left_pane.scroll_to(left.start, left.end)
        self.right_pane.scroll_to(right.start, right.end)
        self.band.update()

    def _update_controls(self) -> None:
        alignment = self.alignment
        self.threshold_label.setText(f"{self.threshold:.2f}")
        count = len(self.pairs)
        for button in (self.previous_button, self.next_button):
            button.setEnabled(count > 0)
        self.swap_button.setEnabled(alignment is not None)
        if alignment is None:
            self.similarity.setText("")
            self.pair_label.setText("")
            return
        self.similarity.setText(f"Passage similarity <b>{alignment.similarity:.2f}</b>")
        position = f"{self._current + 1} of {count}" if self._current is not None else "none"
        self.pair_label.setText(f"Pair {position}")
        left_only = len(alignment.left_only)
        self.status.setText(
            f"{count} sentence pair{'s' if count != 1 else ''} match at {self.threshold:.2f}; "
            f"{left_only} sentence{'s' if left_only != 1 else ''} only in "
            f"{alignment.left.story_title}, "
            f"{len(alignment.right_only)} only in {alignment.right.story_title}."
        )


def _solid_at(pane: SentencePane, start: int, end: int) -> int | None:
    """The colour (rgba) of a solid highlight over exactly [start, end) in a pane, if any."""
    for painted_start, painted_end, brush in pane.painted():
        solid = brush.style() == Qt.BrushStyle.SolidPattern
        if solid and (painted_start, painted_end) == (start, end):
            return brush.color().rgba()
    return None

"""index.sparse: the BM25 index a build saves scores the chunks that hold a question's words, after loading."""

from __future__ import annotations

from index.sparse import BM25Index


def test_saved_bm25_scores_chunks_holding_the_words_and_knows_its_words(tmp_path) -> None:
    BM25Index.build([["稀土", "产值"], ["研发", "投入"], [], ["稀土", "稀土", "材料"]]).save(tmp_path)
    bm25 = BM25Index.load(tmp_path)
    scores = bm25.scores(["稀土"])
    assert scores.shape == (4,) and scores[1] == scores[2] == 0
    assert scores[3] > scores[0] > 0  # the word twice in a short chunk outranks it once
    assert "材料" in bm25 and "政策" not in bm25
    # A question without words (only stop words, say) meets no chunk with words.
    assert bm25.scores([]).nonzero()[0].tolist() == [2]

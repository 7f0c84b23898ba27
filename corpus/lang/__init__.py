"""The language layer: everything policy-qa knows about how Chinese policy text is written, in one place.

Every other layer (chunker, catalogue, retriever, answer pipeline, guard, evals) imports these rules; none
keeps a copy. Word lists are data files in `data/`.

- `text`: script, width and punctuation folding
- `numbering`: numbering families of measures, numeral parsing, measure paths and references to them
- `numbers`: quantities a sentence states, and the unit a question asks its figure in
- `dates`: dates in every common form, periods and deadlines
- `docnumber`: 文号 (document numbers)
- `orgs`: organisation names and the labels and verbs that assign units to measures
- `sentences`: sentence and clause splitting, citation markers
- `words`: filler, stop words, jieba's general-Chinese IDF, the English glossary
"""

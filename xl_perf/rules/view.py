"""A rule pack as printed for one evaluation year and level: rendered texts, label lookups, printed names.

Rule packs are loaded once and shared by every document of their framework, so what depends only on the pack, the
year and the level is derived once, by a `PackView`, instead of once per document or per cell. A pack keeps its views
(`PackView.of`), so they go when the pack goes. Everything a view hands out is shared: read-only for its users.
"""

from __future__ import annotations

import re
from functools import cached_property

from xl_perf.rules import model
from xl_perf.rules.text import context, render

_SPACES = re.compile(r"\s+")


def loose_level_name(name: str) -> str:
    """Row level names are written loosely ("服务对象满意度" / "服务对象满意度指标"): compare without the suffix."""
    return "".join(name.split()).removesuffix("指标")


class PackView:
    """`pack` as printed for `year` and `level`."""

    def __init__(self, pack: model.RulePack, year: int, level: str) -> None:
        self.pack = pack
        self.year = year
        self.level = level
        self._texts: dict[str, str] = {}  # template -> text (failed renderings are not kept)
        self._labels: dict[str, str] = {}
        self._printed: dict[str, tuple[str, tuple[str, ...]]] = {}

    @classmethod
    def of(cls, pack: model.RulePack, year: int, level: str) -> PackView:
        """The view of `pack` for `year` and `level` (made on first use, then kept by the pack)."""
        views = pack.views
        view = views.get((year, level))
        if view is None:
            view = views[(year, level)] = cls(pack, year, level)
        return view

    @cached_property
    def words(self) -> dict[str, str]:
        return context(self.year, self.pack.level_words(self.level))

    def text(self, template: str) -> str:
        # Labels are rendered thousands of times per workbook, always from the same few hundred pack templates.
        try:
            return self._texts[template]
        except KeyError:
            pass
        rendered = self._texts[template] = render(template, self.words)
        return rendered

    # --- labels and printed names ------------------------------------------------------------------------------

    def label(self, name: str) -> str:
        """What a message calls a rate, a field or a table cell ("项目资金表“合计”的财政资金")."""
        label = self._labels.get(name)
        if label is None:
            label = self._labels[name] = self._label(name)
        return label

    def _label(self, name: str) -> str:
        pack = self.pack
        if name in pack.rates:
            return self.text(pack.rates[name].name)
        spec = pack.fields.get(name)
        if spec is not None:
            if spec.label != spec.section:
                return f"{self.text(spec.section)}的{self.text(spec.label)}"
            return self.text(spec.label)
        if name in pack.cells:
            cell = pack.cells[name]
            table = pack.table(cell.table)
            row = next(r for r in table.rows if r.id == cell.row)
            column_label = "/".join(self.text(p) for p in table.column(cell.column).path)
            return f"{self.text(table.label)}“{self.text(row.label)}”的{column_label}"
        return name

    def printed(self, indicator: model.Indicator) -> tuple[str, tuple[str, ...]]:
        """The indicator's name and path as printed."""
        texts = self._printed.get(indicator.id)
        if texts is None:
            texts = self._printed[indicator.id] = (
                self.text(indicator.name),
                tuple(self.text(p) for p in indicator.path),
            )
        return texts

    @cached_property
    def indicator_names(self) -> dict[str, str]:
        """Every accepted score key (id, leaf name when unique, full path) -> indicator id."""
        names: dict[str, str] = {}
        leaf_counts: dict[str, int] = {}
        for indicator in self.pack.indicators:
            leaf = self.text(indicator.name)
            leaf_counts[leaf] = leaf_counts.get(leaf, 0) + 1
        for indicator in self.pack.indicators:
            names[indicator.id] = indicator.id
            path = [self.text(p) for p in indicator.path]
            names["/".join(path)] = indicator.id
            if leaf_counts[path[-1]] == 1:
                names[path[-1]] = indicator.id
        return names

    @cached_property
    def score_keys(self) -> dict[str, str]:
        """Indicator id -> the key a data document uses: the leaf name when unique, else the full path."""
        names = self.indicator_names
        keys: dict[str, str] = {}
        for indicator in self.pack.indicators:
            leaf = self.text(indicator.name)
            keys[indicator.id] = (
                leaf if names.get(leaf) == indicator.id else "/".join(self.text(p) for p in indicator.path)
            )
        return keys

    # --- reading a data document -------------------------------------------------------------------------------

    @cached_property
    def sections_by_label(self) -> dict[str, dict[str, model.FieldSpec]]:
        """Section label -> field label -> spec."""
        by_section: dict[str, dict[str, model.FieldSpec]] = {}
        for section in self.pack.sections:
            by_section[self.text(section.label)] = {self.text(f.label): f for f in section.fields}
        return by_section

    @cached_property
    def field_options(self) -> dict[str, tuple[str, ...]]:
        """Field id -> its options as printed."""
        return {spec.id: tuple(self.text(o) for o in spec.options) for spec in self.pack.fields.values()}

    @cached_property
    def tables_by_label(self) -> dict[str, model.TableSpec]:
        return {self.text(t.label): t for t in self.pack.tables}

    @cached_property
    def columns_by_label(self) -> dict[str, dict[str, model.Column]]:
        """Table id -> column header path ("财政下达预算情况/小计") -> column."""
        return {t.id: {"/".join(self.text(p) for p in c.path): c for c in t.columns} for t in self.pack.tables}

    @cached_property
    def level_rows(self) -> dict[str, list[model.RowSpec]]:
        """Table id -> its rows at this level."""
        return {t.id: [r for r in t.rows if not r.levels or self.level in r.levels] for t in self.pack.tables}

    @cached_property
    def fixed_rows(self) -> dict[str, dict[str, model.RowSpec]]:
        """Table id -> its fixed rows at this level by label without spaces (the first row wins a shared label)."""
        result: dict[str, dict[str, model.RowSpec]] = {}
        for table in self.pack.tables:
            fixed = result[table.id] = {}
            for row in self.level_rows[table.id]:
                if not row.repeat:
                    fixed.setdefault(_SPACES.sub("", self.text(row.label)), row)
        return result

    @cached_property
    def repeat_patterns(self) -> dict[str, re.Pattern[str]]:
        """Label of a repeating row ("项目{n}") -> what its printed labels look like: its text before the number,
        then digits."""
        patterns: dict[str, re.Pattern[str]] = {}
        for table in self.pack.tables:
            for row in table.rows:
                if row.repeat and row.label not in patterns:
                    prefix = self.text(row.label.replace("{n}", "\0")).split("\0")[0]
                    patterns[row.label] = re.compile(re.escape(prefix) + r"\d+")
        return patterns

    # --- evaluation --------------------------------------------------------------------------------------------

    @cached_property
    def group_children(self) -> list[list[model.Indicator]]:
        """The indicators under each group of the pack, in the order of `pack.groups`."""
        return [[i for i in self.pack.indicators if i.path[: len(g.path)] == g.path] for g in self.pack.groups]

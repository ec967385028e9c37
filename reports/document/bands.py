"""The proficiency bands a report counts in: the framework's levels grouped as it groups
them (DigComp 1-2/3-4/5-6/7-8, UNESCO 1/2/3), plus band 0 ("no level yet")."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from curricula.models import CompetenceFramework, ProficiencyLevel


@dataclass
class Bands:
    """The framework's levels grouped in bands: DigComp 1-2/3-4/5-6/7-8, UNESCO 1/2/3."""

    keys: list[str] = field(default_factory=list)  # "0", "1-2", "3-4"...: in order
    labels: dict[str, str] = field(default_factory=dict)  # key: the band's name
    of_level: dict[int, str] = field(default_factory=dict)  # level number: its band's key

    @classmethod
    def of(cls, framework: CompetenceFramework) -> Bands:
        bands = cls()
        bands.keys.append("0")
        bands.labels["0"] = _("No level yet")
        bands.of_level[0] = "0"
        groups: dict[str, list[ProficiencyLevel]] = {}
        for level in ProficiencyLevel.objects.filter(framework=framework).order_by("number"):
            groups.setdefault(level.band_en or level.name_en, []).append(level)
        for members in groups.values():
            numbers = [m.number for m in members]
            key = str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]}-{numbers[-1]}"
            bands.keys.append(key)
            bands.labels[key] = members[0].band or members[0].name
            for number in numbers:
                bands.of_level[number] = key
        return bands

    def key(self, level: int) -> str:
        """The band of `level` (a level the framework no longer has: the top band)."""
        return self.of_level.get(level) or self.keys[-1]

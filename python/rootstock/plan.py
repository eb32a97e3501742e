"""The checkout loaded once per command: its pins, the stage graph resolved for every system, and the static
recipe. Rendering, building, the audit, the SBOM and the reports all read this one immutable plan."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from attrs import Factory, frozen

from rootstock.ddc.resolve import ResolvedDdc, resolve_ddc
from rootstock.errors import InputError, known_names
from rootstock.options import GlobalOptions
from rootstock.pins.model import Pins
from rootstock.project import Project
from rootstock.stages.load import load_graph
from rootstock.stages.model import Graph
from rootstock.stages.resolve import SystemPlan, resolve_system
from rootstock.static.load import load_recipe
from rootstock.static.model import Recipe

log = logging.getLogger(__name__)

STAGES_FILE = "stages.toml"


@frozen
class Plan:
    """Everything the data files say, checked against each other and resolved."""

    project: Project
    graph: Graph
    systems: Mapping[str, SystemPlan]
    recipe: Recipe
    ddc: Mapping[str, ResolvedDdc] = Factory(dict)
    """stages.toml's DDC passes by name, resolved on their systems."""

    @property
    def pins(self) -> Pins:
        """The pins every other file refers to."""
        return self.project.pins

    @classmethod
    def load(cls, project: Project) -> Plan:
        """Read stages.toml and static-nix.toml once and resolve the graph for every system.

        Raises:
            InputError: a data file is missing or malformed, or refers to an unknown pin, step or variable.
        """
        path = project.root / STAGES_FILE
        graph = load_graph(path)
        systems = {system: resolve_system(graph, project.pins, system, source=str(path)) for system in graph.systems}
        ddc = resolve_ddc(graph, project.pins, systems, source=str(path))
        recipe = load_recipe(project.root, project.pins)
        log.debug(
            "plan: %d systems, %d steps, %d static packages, %d ddc passes",
            len(systems),
            sum(len(s.steps) for s in systems.values()),
            len(recipe.package),
            len(ddc),
        )
        return cls(project, graph, dict(sorted(systems.items())), recipe, ddc)

    @classmethod
    def from_options(cls, options: GlobalOptions) -> Plan:
        """Load the checkout the options name.

        Raises:
            InputError: as Project.load and Plan.load.
        """
        return cls.load(Project.load(options))

    def system(self, name: str) -> SystemPlan:
        """The chain on one system.

        Raises:
            InputError: stages.toml builds nothing for that system.
        """
        if name not in self.systems:
            msg = f"{STAGES_FILE}: no system '{name}' (systems: {', '.join(self.systems) or 'none'})"
            raise InputError(msg)
        return self.systems[name]

    def ddc_pass(self, name: str) -> ResolvedDdc:
        """One DDC pass by name.

        Raises:
            InputError: stages.toml has no `[[ddc]]` of that name.
        """
        if name not in self.ddc:
            msg = f"{STAGES_FILE}: no [[ddc]] pass '{name}' (passes: {known_names(name, list(self.ddc))})"
            raise InputError(msg)
        return self.ddc[name]

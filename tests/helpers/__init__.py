"""Test helpers shared by the unit, integration and GUI suites (fixtures, fakes, old schemas)."""

"""The register of children not in school (Education Act 1996 s.436B–436G): no Qt."""

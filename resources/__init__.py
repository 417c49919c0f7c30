"""The files CME Desktop ships that are not code: icon, word list, policy, licences, letters."""

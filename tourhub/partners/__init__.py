"""Partners: pull partner feeds safely, check each payload whole, merge what is good, remember what happened."""

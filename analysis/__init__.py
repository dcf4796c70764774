"""Analysis over the index and the bundled datasets: keyword reports and KWIC, regions, profiles, comparison, funding, hubs."""

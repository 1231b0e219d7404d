"""Analytics engines: funnels, retention cohorts, segmentation, attribution, payment intelligence."""

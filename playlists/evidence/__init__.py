"""Evidence of the campaign (活动影像): photos and videos a village reports to the town."""

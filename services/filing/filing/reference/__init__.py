"""Reference data officers publish: each year's days off (SKB 3 Menteri) and each month's KMK interest rates, stored
here, announced on `filing.events`, and held in every process's memory over the packaged data."""

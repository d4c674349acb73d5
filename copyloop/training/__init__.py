"""Multi-objective fine-tuning: training data from the catalog, rewards (the tools' scores), trainers."""

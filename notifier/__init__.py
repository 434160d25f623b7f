"""The notifier: the process that delivers the notification outbox by email (`dispatcher`),
and the pure rendering of each email from a row's codes and ids (`mail`).
"""

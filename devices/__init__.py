"""Devices of the till, without Qt: scanners and card readers (serial or keyboard
wedge), the receipt printer, the customer display, and pty simulators.

events        what every device reports (Scanned, CardSwiped, BadSwipe, Refused, ...)
framing       bytes -> frames (terminators, pauses, prefix/suffix)
decoder       frames -> events (nomenclature for codes, msr for swipes)
msr           magnetic stripe tracks; bank cards refused
serial_reader a port on a worker thread, reconnecting by itself
wedge         keyboard-wedge detection (pure; app/ wraps it in an event filter)
receipt, escpos_job, receipt_png, printer, reprint_queue   receipts
display       the 2x20 pole display
labels        member card / coupon barcodes as PNG or SVG
config        device settings (JSON in the data dir)
runtime       devices assembled from the settings (what the app starts)
ports, simulate, cli
"""

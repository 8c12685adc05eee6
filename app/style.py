"""One stylesheet: large type, high contrast, red for what went wrong, green for money saved.
Font sizes live here, not in setFont(): a stylesheet's font overrides setFont."""

STYLE = """
QWidget { font-size: 14px; }
#testClockBanner { background: #c62828; color: white; font-weight: bold; padding: 4px; }
#scanInput { padding: 6px; border: 2px solid #1565c0; border-radius: 4px; font-size: 20px; }
#message { font-size: 15px; color: #1b5e20; padding: 2px 4px; }
#message[error="true"] { color: white; background: #c62828; border-radius: 3px; }
#basket { font-size: 15px; }
#totals { background: #f5f5f5; border: 1px solid #ddd; border-radius: 4px; }
#due { color: #0d47a1; font-size: 30px; font-weight: bold; }
#saved { color: #2e7d32; font-weight: bold; }
#appliedDiscounts { color: #2e7d32; font-size: 13px; }  /* applied: money saved, green like #saved */
#refusals { color: #c62828; font-size: 13px; }  /* red only for what did not apply */
#memberPanel { background: #fafafa; }
#memberName { font-size: 20px; font-weight: bold; }
#tierBadge { background: #ff8f00; color: white; font-weight: bold; padding: 3px 10px; border-radius: 10px; }
#memberFlags { color: #6a1b9a; font-weight: bold; }
#expiring { color: #c62828; }
#caption { color: #616161; }
#section { font-weight: bold; margin-top: 4px; }
#notes { color: #37474f; }
#notes[complaint="true"] { color: #b71c1c; font-weight: bold; }
#fkey { min-height: 44px; font-size: 13px; padding: 2px 1px; }  /* 13 keys fit 1024 px in both languages */
#dialogError { color: #c62828; }
#paymentDue { color: #0d47a1; font-size: 24px; font-weight: bold; }
#paymentAmount { font-size: 22px; }
#change { color: #2e7d32; font-size: 24px; font-weight: bold; }
#signInTitle { font-size: 26px; font-weight: bold; }
#staffCode, #staffPin { font-size: 20px; }
#signInCard { background: #fafafa; border: 1px solid #ddd; border-radius: 8px; padding: 16px; }
#hint { color: #757575; }
#syncState[state="offline"] { color: #c62828; font-weight: bold; }
#syncState[state="online"] { color: #2e7d32; }
#syncState[state="rejected"] { color: #e65100; font-weight: bold; }
"""

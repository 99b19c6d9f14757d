/* kc-caller-summary.h: a caller's history in a line
 *
 * "3 calls in 7 days, last: missed yesterday 14:05", in the user's
 * language, for the pop-up and the dashboard.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kc-store-context.h"

G_BEGIN_DECLS

/* The calls counted are those of the last this many days */
#define KC_CALLER_RECENT_DAYS 7

/* The start of the span KC_CALLER_RECENT_DAYS counts, for `now` */
gint64  kc_caller_summary_since  (gint64 now);

/* The line for HISTORY (read with since = kc_caller_summary_since (now)),
 * with days and times as seen in now's time zone */
char   *kc_caller_summary_format (const KcCallerHistory *history,
                                  GDateTime             *now);

G_END_DECLS

/* kc-headless.h: the event stream of `kerio-cti --headless`
 *
 * One JSON object per line on the given stream, flushed per line, in the
 * shapes of core/kc-events.h. Other programs parse this; it is a contract.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdio.h>

#include "core/kc-call-tracker.h"
#include "core/kc-sync.h"

G_BEGIN_DECLS

void  kc_headless_attach         (KcCallTracker *tracker,
                                  FILE          *out);
/* "sync" after every history sync, finished or failed */
void  kc_headless_attach_sync    (KcSync        *sync,
                                  FILE          *out);

/* `kerio-cti --headless [--demo] [--fetch-recording=CALL_ID]`: runs until
 * SIGINT/SIGTERM (or until the recording is fetched); the exit code. */
int   kc_headless_run            (gboolean       demo,
                                  const char    *fetch_call_id);

G_END_DECLS

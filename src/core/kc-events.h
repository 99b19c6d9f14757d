/* kc-events.h: the call events as JSON text, one object per event
 *
 * The headless stream prints them one per line, the event server sends them
 * one per WebSocket message; both take the text from here, so that a program
 * reading either reads the same thing. The design's shapes:
 *   {"event":"incoming_call","data":{"callId","fromNumber","toNumber","direction","startTime","state"}}
 *   {"event":"outgoing_call","data":{...}}
 *   {"event":"call_status","data":{"callId","state"[,"answeredBy"][,"corrected":true]}}
 *   {"event":"sync","data":{"result":"ok","newRecords"}}
 *   {"event":"sync","data":{"result":"failed","reason","message"}}
 *     reason: "disk-full", "database-locked", "database" or "pbx"
 * Other programs parse this; it is a contract.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "kc-call.h"

G_BEGIN_DECLS

/* event: "incoming_call" or "outgoing_call"; the call in its current state */
char *kc_events_format_call         (const char   *event,
                                     KcCall       *call);
/* The call's announcement as the tracker would make it now: incoming_call
 * or outgoing_call by its direction, in its current state */
char *kc_events_format_announcement (KcCall       *call);
char *kc_events_format_status       (KcCall       *call);
/* error NULL: a finished sync that added n_new rows */
char *kc_events_format_sync         (guint         n_new,
                                     const GError *error);

G_END_DECLS

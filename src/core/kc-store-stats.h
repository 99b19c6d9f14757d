/* kc-store-stats.h: a day's figures from the call history
 *
 * What the dashboard's "Today" shows and `kerio-cti --stats` prints, from
 * the calls that started in one local day (midnight to midnight in the
 * given time zone):
 *   incoming, outgoing  calls either way, whatever became of them
 *   answered, missed    incoming calls answered / missed (busy and failed
 *                       ones are in neither)
 *   to_call_back        callers with a missed call of that day still waiting
 *                       now (kc-store-call-back.h; 0 before the follow-up
 *                       began)
 *   average_talk        the mean talk time of the answered calls, incoming
 *                       and outgoing, in whole seconds
 *   longest_wait        the longest a caller waited on an incoming call
 *                       before it was answered or they gave up: its length
 *                       less its talk time (the CDR's CALL_DURATION -
 *                       ANSWERED_DURATION; from the answer for a call seen
 *                       live), in seconds
 *   hours[h]            incoming calls answered and missed that started in
 *                       the local hour h (0-23); on the day clocks go back,
 *                       the hour that comes twice counts both
 * extension: only the calls of that extension (the operator's), or NULL.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kc-store.h"

G_BEGIN_DECLS

typedef struct
{
  guint answered;
  guint missed;
} KcHourStats;

typedef struct
{
  guint        incoming;
  guint        outgoing;
  guint        answered;
  guint        missed;
  guint        to_call_back;
  gint64       average_talk;
  gint64       longest_wait;
  KcHourStats  hours[24];
} KcDayStats;

/* day: any moment of the day, in the time zone whose day it is */
gboolean kc_store_get_day_stats (KcStore     *self,
                                 GDateTime   *day,
                                 const char  *extension,
                                 KcDayStats  *stats,
                                 GError     **error);

/* [*start, *end): the day of `day` in its time zone, in Unix seconds */
void     kc_day_bounds          (GDateTime   *day,
                                 gint64      *start,
                                 gint64      *end);

G_END_DECLS

/* kc-record.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-record"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kc-record.h"

KcRecord *
kc_record_new (void)
{
  return g_new0 (KcRecord, 1);
}

void
kc_record_free (KcRecord *record)
{
  if (record == NULL)
    return;

  g_free (record->id);
  g_free (record->call_id);
  g_free (record->from_number);
  g_free (record->to_number);
  g_free (record->extension);
  g_free (record->recording_id);
  g_free (record->recording_path);
  g_free (record);
}

const char *
kc_record_direction_text (const KcRecord *record)
{
  return record->direction == KC_DIRECTION_INCOMING ? _("Incoming") : _("Outgoing");
}

const char *
kc_record_status_text (const KcRecord *record)
{
  switch (record->status)
    {
    case KC_CALL_STATUS_ANSWERED:
      return _("Answered");
    case KC_CALL_STATUS_MISSED:
      return record->voicemail ? _("Missed, voicemail") : _("Missed");
    case KC_CALL_STATUS_BUSY:
      return _("Busy");
    case KC_CALL_STATUS_FAILED:
    default:
      return _("Failed");
    }
}

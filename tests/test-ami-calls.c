/* test-ami-calls.c: AMI channel events into the rows a poll would list,
 * event by event, without a socket (the families end to end are in
 * test-tracker, /tracker/ami/...)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "core/kc-ami-calls.h"
#include "kerio/kc-kerio-types.h"

static void
feed (KcAmiCalls        *calls,
      const char *const *pairs)
{
  g_autoptr (KcAmiMessage) event = kc_ami_message_new (pairs);

  kc_ami_calls_handle_event (calls, event, g_get_real_time ());
}

static GPtrArray *
rows_now (KcAmiCalls *calls)
{
  return kc_ami_calls_get_rows (calls, g_get_real_time ());
}

static void
assert_row (GPtrArray  *rows,
            guint       index,
            const char *id,
            const char *from,
            const char *to,
            const char *status)
{
  const KcActiveCall *row = g_ptr_array_index (rows, index);

  g_assert_cmpstr (row->id, ==, id);
  g_assert_cmpstr (row->from_number, ==, from);
  g_assert_cmpstr (row->to_number, ==, to);
  g_assert_cmpstr (row->status, ==, status);
}

/* Asterisk 1.8 ringing a phone for an Originate (a click-to-call): no Dial,
 * no Linkedid, the party it connects to in ConnectedLineNum. It used to
 * crash the tracker (a hash lookup of no key). */
static void
test_ringing_without_dial (void)
{
  g_autoptr (KcAmiCalls) calls = kc_ami_calls_new ();
  GPtrArray *rows;

  feed (calls, (const char *const[]){ "Event", "Newchannel", "Channel", "SIP/1001-00000007",
                                      "ChannelState", "0", "CallerIDNum", "1001", "Uniqueid",
                                      "1765123456.7", "Exten", "", NULL });
  feed (calls, (const char *const[]){ "Event", "Newstate", "Channel", "SIP/1001-00000007",
                                      "ChannelState", "5", "CallerIDNum", "1001",
                                      "ConnectedLineNum", "+998901234567", "Uniqueid",
                                      "1765123456.7", NULL });
  rows = rows_now (calls);
  g_assert_cmpuint (rows->len, ==, 1);
  assert_row (rows, 0, "1765123456.7", "+998901234567", "1001", "0");
  g_ptr_array_unref (rows);

  feed (calls, (const char *const[]){ "Event", "Hangup", "Channel", "SIP/1001-00000007",
                                      "Uniqueid", "1765123456.7", "Cause", "16", NULL });
  rows = rows_now (calls);
  g_assert_cmpuint (rows->len, ==, 0);
  g_ptr_array_unref (rows);
}

/* A call the last poll listed, whose Hangup AMI then told of, stays ended
 * when AMI goes down and comes up again before the next poll (a PBX that
 * reboots): the poll's row is not taken for a call still under way. Seen
 * as 54 calls popping up twice in an AMI soak under load. */
static void
test_hung_up_stays_ended (void)
{
  g_autoptr (KcAmiCalls) calls = kc_ami_calls_new ();
  g_autoptr (GPtrArray) poll = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_active_call_free);
  KcActiveCall *row = g_new0 (KcActiveCall, 1);
  GPtrArray *rows;

  row->id = g_strdup ("1765123456.9");
  row->from_number = g_strdup ("+998901234567");
  row->to_number = g_strdup ("1001");
  row->status = g_strdup ("1");
  row->answered_duration = -1;
  row->call_duration = 30;
  g_ptr_array_add (poll, row);

  /* AMI comes up; the poll that follows lists the call, talking */
  kc_ami_calls_clear (calls);
  kc_ami_calls_reconcile (calls, poll, g_get_real_time ());
  rows = rows_now (calls);
  g_assert_cmpuint (rows->len, ==, 1);
  assert_row (rows, 0, "1765123456.9", "+998901234567", "1001", "1");
  g_ptr_array_unref (rows);

  feed (calls, (const char *const[]){ "Event", "Hangup", "Channel", "PJSIP/trunk-00000009",
                                      "CallerIDNum", "+998901234567", "Exten", "1001",
                                      "Uniqueid", "1765123456.9", "Cause", "16", NULL });
  rows = rows_now (calls);
  g_assert_cmpuint (rows->len, ==, 0);
  g_ptr_array_unref (rows);

  /* AMI goes down and comes up again, no poll answered meanwhile */
  kc_ami_calls_clear (calls);
  kc_ami_calls_clear (calls);
  rows = rows_now (calls);
  g_assert_cmpuint (rows->len, ==, 0);
  g_ptr_array_unref (rows);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ami-calls/ringing-without-dial", test_ringing_without_dial);
  g_test_add_func ("/ami-calls/hung-up-stays-ended", test_hung_up_stays_ended);
  return g_test_run ();
}

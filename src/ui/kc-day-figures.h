/* kc-day-figures.h: today's figures on the dashboard
 *
 * The day's calls in and out, answered, missed, still to call back, the
 * average talk time and the longest wait (kc-store-stats.h says what each
 * counts), and the calls per hour as a chart; read again shortly after the
 * history changes (a call ended, a sync), when a caller is marked done, and
 * at midnight, only while shown.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "core/kc-follow-up.h"

G_BEGIN_DECLS

#define KC_TYPE_DAY_FIGURES (kc_day_figures_get_type ())
G_DECLARE_FINAL_TYPE (KcDayFigures, kc_day_figures, KC, DAY_FIGURES, GtkWidget)

/* The figures of the follow-up's store, for its extension */
void kc_day_figures_set_follow_up (KcDayFigures *self,
                                   KcFollowUp   *follow_up);

G_END_DECLS

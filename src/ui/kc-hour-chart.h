/* kc-hour-chart.h: a day's incoming calls per hour, answered and missed
 *
 * 24 stacked bars (answered below, missed above) drawn with GTK's own
 * snapshot nodes, in the theme's accent and error colours, with a legend,
 * the hours under them and the tallest bar's count; a tooltip gives each
 * hour's figures.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "core/kc-store-stats.h"

G_BEGIN_DECLS

#define KC_TYPE_HOUR_CHART (kc_hour_chart_get_type ())
G_DECLARE_FINAL_TYPE (KcHourChart, kc_hour_chart, KC, HOUR_CHART, GtkWidget)

GtkWidget *kc_hour_chart_new       (void);
/* hours: 24, by local hour */
void       kc_hour_chart_set_hours (KcHourChart       *self,
                                    const KcHourStats *hours);

G_END_DECLS

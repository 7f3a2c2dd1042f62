/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file metrics.h
 * @brief The Prometheus text file for node_exporter's textfile collector ([log]
 * metrics_file): every counter of the pipeline, written by the detector thread at each stats
 * tick and at the end, replaced atomically (write a .tmp, rename).
 */
#pragma once

#include "sensor/pipeline.h"

/** Write the metrics file now, if one is configured (a failure is logged once a minute). */
void dx_metrics_write(dx_pipeline_t *pl);

/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file prep.h
 * @brief dx_query_prepare(): the per-message part of detection (apex, keyed hashes, subdomain
 * features), done by the parser thread before the message crosses ring B.
 */
#pragma once

#include "lib/apex.h"
#include "lib/query.h"

/** The keyed hash of a client address as the detector's client table keys it. */
uint64_t dx_client_hash(const dx_hash_key_t *key, const uint8_t addr[16], uint8_t af, uint32_t vni);

/** Fill q->prep from q's decoded fields, with ax's apex caches and key. ax belongs to the
 * calling thread. dx_detect_add() requires it. */
void dx_query_prepare(dx_apex_t *ax, dx_query_t *q);

/** The label hash the detector remembers long labels by (prep.lab_hash). */
uint32_t dx_label_hash(const dx_hash_key_t *key, const char *label, size_t len);

/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file fuzz.h
 * @brief The libFuzzer entry point every target defines. Built with -Dfuzz=enabled (clang,
 * -fsanitize=fuzzer) the targets are fuzzers; otherwise they link replay_main.c and run over
 * their corpus in tests/fuzz/corpus/<target>/ as ordinary meson tests (suite fuzz).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

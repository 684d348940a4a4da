#!/usr/bin/env node
// `serf-keygen`: prints a new key, as `serf keygen` does.
import { generateKey } from "./keygen.ts";

process.stdout.write(`${generateKey()}\n`);

/** What a run stores beside its figures: the machine, JDK and command that made them. */
package dev.iova.bench.results;

// The browser test classes each run the real service, a media stack and a Chromium: one class at a time, so they do
// not compete for the CPU of a small test machine (a starved decoder looks like a stalled stream).
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace MediaMtxEmulator;

/// <summary>E10: recordings are what is on disk, matched against each config's recordPath (the filesystem is the truth).</summary>
internal static class Recordings
{
    /// <summary>All segment files of a config: (file, path name, start), for a concrete name or (null) any name.</summary>
    public static IEnumerable<(string File, string PathName, DateTimeOffset Start)> Scan(RecordPath rp, string? pathName, TimeZoneInfo zone)
    {
        var dir = rp.CommonPath(pathName);
        if (!Directory.Exists(dir))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            if (rp.Decode(file, pathName, zone) is { } d)
            {
                yield return (file, d.PathName, d.Start);
            }
        }
    }
}

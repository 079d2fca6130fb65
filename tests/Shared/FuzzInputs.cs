namespace CameraService.Tests.Shared;

/// <summary>
/// Inputs shared by the property tests (issue 17): byte-level mutation of a valid seed, and the crashing inputs
/// fuzz/run.sh kept in <c>fuzz/regressions/&lt;target&gt;/</c>. Linked as source into each test project.
/// </summary>
internal static class FuzzInputs
{
    /// <summary>Applies edits: 0 = overwrite a byte, 1 = insert, 2 = delete, 3 = truncate.</summary>
    public static byte[] Mutate(byte[] seed, (int Op, int Position, byte Value)[] edits)
    {
        var bytes = new List<byte>(seed);
        foreach (var (op, position, value) in edits)
        {
            var at = bytes.Count == 0 ? 0 : position % (bytes.Count + 1);
            switch (op)
            {
                case 0 when at < bytes.Count:
                    bytes[at] = value;
                    break;
                case 1:
                    bytes.Insert(at, value);
                    break;
                case 2 when at < bytes.Count:
                    bytes.RemoveAt(at);
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return [.. bytes];
    }

    /// <summary>The kept crashing inputs of a fuzz target (hidden files and notes excluded).</summary>
    public static IEnumerable<byte[]> Regressions(string target)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CameraService.slnx")))
        {
            dir = dir.Parent;
        }

        // Never an empty replay by accident: a test run that cannot find the folder fails instead of passing on nothing.
        var directory = dir is null
            ? throw new DirectoryNotFoundException("CameraService.slnx was not found above " + AppContext.BaseDirectory + "; the fuzz regressions cannot be replayed.")
            : Path.Combine(dir.FullName, "fuzz", "regressions", target);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException(directory + " does not exist; fuzz/run.sh keeps crashing inputs there (keep its .gitkeep).");
        }

        return [.. Directory.EnumerateFiles(directory)
            .Where(f => !Path.GetFileName(f).StartsWith('.') && !f.EndsWith(".md", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(File.ReadAllBytes)];
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using CameraService.Plugins.V4l2.Controls;

namespace CameraService.Plugins.V4l2.Tests;

/// <summary>The control-name table of docs/v4l2.md against the code and against the kernel header.</summary>
public sealed partial class ControlNamesTests
{
    private static List<(string Macro, uint Id, string Name)> DocumentedRows()
    {
        var doc = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "v4l2.md"));
        var start = doc.IndexOf("### Control names", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/v4l2.md has no 'Control names' section");
        var rows = new List<(string, uint, string)>();
        foreach (Match m in Cell().Matches(doc[start..]))
        {
            rows.Add((m.Groups["macro"].Value, uint.Parse(m.Groups["id"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), m.Groups["name"].Value));
        }

        return rows;
    }

    [Fact]
    public void Documentation_ListsEveryNameOfTheCode_WithItsId()
    {
        var documented = DocumentedRows().Select(r => (r.Id, r.Name)).OrderBy(r => r.Id).ToList();
        var code = ControlNames.All.Select(p => (p.Key, p.Value)).OrderBy(r => r.Key).ToList();

        Assert.Equal(code, documented);
    }

    [GccFact]
    public void Documentation_IdsMatchTheKernelHeader()
    {
        var rows = DocumentedRows();
        var dir = Directory.CreateTempSubdirectory("v4l2-cid-");
        try
        {
            var program = "#include <stdio.h>\n#include <linux/videodev2.h>\nint main(void) {\n"
                + string.Concat(rows.Select(r => $"  printf(\"%s %lu\\n\", \"{r.Macro}\", (unsigned long)V4L2_CID_{r.Macro});\n"))
                + "  return 0;\n}\n";
            var source = Path.Combine(dir.FullName, "cid.c");
            var binary = Path.Combine(dir.FullName, "cid");
            File.WriteAllText(source, program);
            AbiTests.Run(AbiTests.FindGcc()!, ["-Wall", "-o", binary, source]);
            var kernel = AbiTests.Run(binary, []).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(' ')).ToDictionary(p => p[0], p => uint.Parse(p[1], CultureInfo.InvariantCulture));

            Assert.All(rows, r => Assert.True(kernel[r.Macro] == r.Id, $"V4L2_CID_{r.Macro} is 0x{kernel[r.Macro]:x8}, the table says 0x{r.Id:x8}"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(0x00980900u, "brightness")]
    [InlineData(0x009a0902u, "exposure_time_absolute")]
    [InlineData(0x0a046d05u, "cid_0x0a046d05")]
    public void NameOf_StandardAndPrivateIds(uint id, string name) => Assert.Equal(name, ControlNames.NameOf(id));

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CameraService.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    [GeneratedRegex(@"`(?<macro>[A-Z0-9_]+)` 0x(?<id>[0-9a-f]{8}) \| `(?<name>[a-z0-9_]+)`")]
    private static partial Regex Cell();
}

using System.Text;
using CameraService.Tests.Shared;
using CsCheck;

namespace CameraService.Plugins.Storage.Tests;

/// <summary>
/// Issue 17, "bad input, tried systematically": random and mutated file names and MP4 files. The file-name rules
/// never throw and never accept a name that breaks them; the MP4 duration reader never throws, never hangs and
/// allocates boundedly whatever the box sizes claim. Crashing inputs the fuzzer kept (fuzz/regressions/) are replayed.
/// </summary>
public sealed class PropertyTests(Mp4Files files) : IClassFixture<Mp4Files>
{
    [Fact]
    public void FileNameRules_AnyString_NeverThrowsAndAcceptsOnlySafeNames()
    {
        var chars = Gen.Frequency<char>(
            (6, Gen.Char['a', 'z']),
            (2, Gen.OneOf('_', '-', '.', '/', '\\', '\0', '\n', '%', ' ')),
            (2, Gen.OneOf('\u202e', '\u200b', '\u2066', '\ufeff', '\u2028', '\u2029', '\u00e9', '\ud800', '\udc00', '\u0085')),
            (1, Gen.Char));
        Gen.String[chars, 0, 300].Sample(name =>
        {
            var rule = FileNameRules.DescribeInvalidFileName(name);
            if (rule is null)
            {
                Assert.False(name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || name.Contains("..", StringComparison.Ordinal), name);
                // By Unicode scalar: a lone surrogate is invalid, a valid pair (e.g. U+10000) is one ordinary character.
                var rest = name.AsSpan();
                while (!rest.IsEmpty)
                {
                    Assert.Equal(System.Buffers.OperationStatus.Done, Rune.DecodeFromUtf16(rest, out var rune, out var used));
                    Assert.False(Rune.IsControl(rune) || Rune.GetUnicodeCategory(rune) is System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator, name);
                    rest = rest[used..];
                }
                Assert.InRange(Encoding.UTF8.GetByteCount(name), 1, 255);
            }
        }, iter: 20000, threads: 1);
    }

    [Fact]
    public async Task FuzzRegressions_FileName_Replayed()
    {
        // Every input fuzz/run.sh kept (fuzz/regressions/filename/): never an exception, never a hang.
        foreach (var input in FuzzInputs.Regressions("filename"))
        {
            var check = Task.Run(() => FileNameRules.DescribeInvalidFileName(Encoding.UTF8.GetString(input)));
            await check.WaitAsync(TimeSpan.FromSeconds(10)); // a hang fails with TimeoutException
        }
    }

    [Fact]
    public void Mp4DurationReader_RandomAndMutatedFiles_NeverThrowsNeverHangsBoundedMemory()
    {
        byte[][] seeds =
        [
            File.ReadAllBytes(files.Mp4),
            File.ReadAllBytes(files.Fmp4),
            [.. Box.Ftyp(), .. Box.Make("moov", Box.Mvhd(1000, 0), Box.Trak(1, 90000), Box.Make("mvex", Box.Mehd(4500), Box.Trex(1, 3000)))],
            [.. Box.Ftyp(), .. Box.Make("moov", Box.Mvhd64(90000, 90000UL * 7200), Box.Trak(1, 90000))],
        ];
        var gen = Gen.Frequency<byte[]>(
            (1, Gen.Byte.Array[0, 2048]),
            (5, Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Select(Gen.Int[0, 3], Gen.Int[0, int.MaxValue], Gen.Byte).Array[1, 8])
                .Select((index, edits) => FuzzInputs.Mutate(seeds[index], edits))));
        gen.Sample(Check, iter: 3000, threads: 1);
    }

    [Fact]
    public void FuzzRegressions_Mp4_Replayed()
    {
        foreach (var input in FuzzInputs.Regressions("mp4"))
        {
            Check(input);
        }
    }

    private static void Check(byte[] input)
    {
        var before = GC.GetTotalAllocatedBytes();
        var read = Task.Run(() => Mp4DurationReader.TryRead(new MemoryStream(input, writable: false)));
        Assert.True(read.Wait(TimeSpan.FromSeconds(10)), "hang");
        var duration = read.Result;
        Assert.True(duration is null || duration.Value >= TimeSpan.Zero, duration.ToString());
        Assert.True(GC.GetTotalAllocatedBytes() - before < 64L * 1024 * 1024, "unbounded allocation");
    }
}

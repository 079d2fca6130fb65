using System.Buffers.Binary;

namespace CameraService.Plugins.MediaMtx;

/// <summary>
/// A look at the top-level boxes of an MP4 file. MediaMTX writes a segment's init (ftyp + moov) when the segment opens
/// and its media in fragments (moof + mdat) once a part is complete (recordPartDuration, 1 s): a MediaMTX that is killed
/// or stopped within a segment's first part leaves a file with no media in it, which no player can play.
/// </summary>
internal static class Fmp4Boxes
{
    /// <summary>
    /// False only for an MP4 file (first box <c>ftyp</c>) without one whole media box (an <c>mdat</c> with content that
    /// ends within the file); true for anything else, including files that are not MP4 (not ours to judge) and files
    /// that cannot be read.
    /// </summary>
    public static bool HasMedia(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
            Span<byte> header = stackalloc byte[16];
            long at = 0;
            var first = true;
            while (at + 8 <= file.Length)
            {
                file.Position = at;
                file.ReadExactly(header[..8]);
                long size = BinaryPrimitives.ReadUInt32BigEndian(header);
                var type = System.Text.Encoding.ASCII.GetString(header.Slice(4, 4));
                var headerLength = 8;
                if (size == 1 && at + 16 <= file.Length)
                {
                    file.ReadExactly(header.Slice(8, 8));
                    size = (long)BinaryPrimitives.ReadUInt64BigEndian(header[8..]);
                    headerLength = 16;
                }
                else if (size == 0)
                {
                    size = file.Length - at; // to the end of the file
                }

                if (first && type != "ftyp")
                {
                    return true;
                }

                first = false;
                if (type == "mdat" && size > headerLength && at + size <= file.Length)
                {
                    // A whole media box: a fragment cut by a kill (its mdat shorter than it says) does not count.
                    return true;
                }

                if (size < headerLength)
                {
                    return false; // a broken box header: nothing playable follows
                }

                at += size;
            }

            return first; // an empty file is not an MP4 file
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }
}

using CameraService.Abstractions.Cameras;

namespace CameraService.Plugins.V4l2.Discovery;

/// <summary>Deep equality of descriptors (the records hold lists, which compare by reference).</summary>
internal static class DescriptorEquality
{
    public static bool Same(CameraDescriptor a, CameraDescriptor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.StableId == b.StableId && a.Source == b.Source && a.Name == b.Name && a.DevicePath == b.DevicePath
            && a.Driver == b.Driver && a.BusInfo == b.BusInfo && a.State == b.State && a.Error == b.Error
            && a.Controls.SequenceEqual(b.Controls)
            && a.Formats.Count == b.Formats.Count
            && a.Formats.Zip(b.Formats).All(p => Same(p.First, p.Second))
            && Same(a.CaptureInput, b.CaptureInput);
    }

    private static bool Same(CameraFormat a, CameraFormat b) =>
        a.FourCc == b.FourCc && a.Description == b.Description && a.Compressed == b.Compressed
        && a.Sizes.Count == b.Sizes.Count
        && a.Sizes.Zip(b.Sizes).All(p => p.First.Width == p.Second.Width && p.First.Height == p.Second.Height
            && p.First.FrameRates.SequenceEqual(p.Second.FrameRates));

    // The capture description holds no lists: record equality compares it by value.
    private static bool Same(CaptureInput? a, CaptureInput? b) => Equals(a, b);
}

"""webrtcvad comes from the `webrtcvad-wheels` distribution (plain `webrtcvad` does not build
with current setuptools). The contributed hook copies the metadata of `webrtcvad`, which is not
installed, and stops the build; webrtcvad reads its version from `webrtcvad-wheels`."""

from PyInstaller.utils.hooks import copy_metadata

datas = copy_metadata("webrtcvad-wheels")

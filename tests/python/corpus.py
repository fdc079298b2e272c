"""PDFs made by tools other than ecenter, as courts and lawyers receive them.

    corpus.py DIR
        writes into DIR: reportlab.pdf (reportlab, with Chinese text in the STSong-Light CID
        font), ghostscript.pdf (ghostscript's pdfwrite from PostScript), objstm.pdf (qpdf: object
        and cross-reference streams), linearized.pdf (qpdf --linearize), pdf20.pdf (qpdf, PDF 2.0
        header and object streams)
"""

import os
import subprocess
import sys

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas


def reportlab_pdf(path):
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(path, pagesize=A4)
    for page in (1, 2):
        c.setFont("STSong-Light", 16)
        c.drawString(72, 760, f"湖北省襄阳市中级人民法院 民事判决书 第{page}页")
        c.setFont("Helvetica", 10)
        for i in range(30):
            c.drawString(72, 720 - 18 * i, f"Line {i + 1} of the judgment text on page {page}.")
        c.showPage()
    c.save()


def ghostscript_pdf(dir_, path):
    ps = os.path.join(dir_, "judgment.ps")
    with open(ps, "w") as f:
        f.write("%!PS\n/Helvetica findfont 14 scalefont setfont\n")
        for page in (1, 2, 3):
            f.write(f"72 720 moveto (Judgment page {page}, typeset by ghostscript) show showpage\n")
    subprocess.run(
        ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", f"-sOutputFile={path}", ps],
        check=True,
    )


def qpdf(args):
    subprocess.run(["qpdf", *args], check=True)


def main(dir_):
    rl = os.path.join(dir_, "reportlab.pdf")
    reportlab_pdf(rl)
    ghostscript_pdf(dir_, os.path.join(dir_, "ghostscript.pdf"))
    qpdf(["--object-streams=generate", rl, os.path.join(dir_, "objstm.pdf")])
    qpdf(["--linearize", rl, os.path.join(dir_, "linearized.pdf")])
    qpdf(["--object-streams=generate", "--force-version=2.0", rl, os.path.join(dir_, "pdf20.pdf")])


if __name__ == "__main__":
    main(sys.argv[1])

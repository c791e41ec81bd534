/// The Sapiens body-part classes (shared/schemas/seg_classes.json, `sapiens_goliath28`).
/// Left and right are the person's own sides.
public enum PartClass: UInt8, CaseIterable, Sendable {
    case background = 0, apparel, faceNeck, hair, leftFoot, leftHand, leftLowerArm, leftLowerLeg,
         leftShoe, leftSock, leftUpperArm, leftUpperLeg, lowerClothing, rightFoot, rightHand,
         rightLowerArm, rightLowerLeg, rightShoe, rightSock, rightUpperArm, rightUpperLeg, torso,
         upperClothing, lowerLip, upperLip, lowerTeeth, upperTeeth, tongue

    public static let count = 28

    public static let names: [String] = [
        "Background", "Apparel", "Face_Neck", "Hair", "Left_Foot", "Left_Hand", "Left_Lower_Arm",
        "Left_Lower_Leg", "Left_Shoe", "Left_Sock", "Left_Upper_Arm", "Left_Upper_Leg", "Lower_Clothing",
        "Right_Foot", "Right_Hand", "Right_Lower_Arm", "Right_Lower_Leg", "Right_Shoe", "Right_Sock",
        "Right_Upper_Arm", "Right_Upper_Leg", "Torso", "Upper_Clothing", "Lower_Lip", "Upper_Lip",
        "Lower_Teeth", "Upper_Teeth", "Tongue",
    ]

    public static let palette: [(UInt8, UInt8, UInt8)] = [
        (50, 50, 50), (255, 218, 0), (128, 200, 255), (255, 0, 109), (189, 0, 204), (255, 0, 218),
        (0, 160, 204), (0, 255, 145), (204, 0, 131), (182, 0, 255), (255, 109, 0), (0, 255, 255),
        (72, 0, 255), (204, 131, 0), (255, 0, 0), (72, 255, 0), (189, 204, 0), (182, 255, 0),
        (102, 0, 204), (32, 72, 204), (0, 145, 255), (14, 204, 0), (0, 128, 72), (235, 205, 119),
        (115, 227, 112), (157, 113, 143), (132, 93, 50), (82, 21, 114),
    ]

    public static let flipPairs: [(UInt8, UInt8)] = [(4, 13), (5, 14), (6, 15), (7, 16), (8, 17), (9, 18), (10, 19), (11, 20)]

    /// The class id a horizontally mirrored image must carry at the mirrored pixel.
    public static let mirrorTable: [UInt8] = {
        var table = (0..<UInt8(count)).map { $0 }
        for (l, r) in flipPairs { table[Int(l)] = r; table[Int(r)] = l }
        return table
    }()

    public var name: String { PartClass.names[Int(rawValue)] }
}
